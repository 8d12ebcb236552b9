"""stpredict's SSIM, PSNR and contingency scores against torchmetrics and
pysteps on the same inputs: equal where the conventions agree, and the
differences that made stpredict keep its own (docs/metrics.md)."""
import numpy as np
import pytest
import torch

from stpredict.evaluation import (PSNR_MAX_DB, contingency_counts,
                                  contingency_scores, frame_psnr, frame_ssim)

torchmetrics = pytest.importorskip('torchmetrics')


def noisy_pair(shape, seed=0):
    generator = torch.Generator().manual_seed(seed)
    gt = torch.rand(*shape, generator=generator, dtype=torch.float64)
    noise = 0.1 * torch.randn(*shape, generator=generator,
                              dtype=torch.float64)
    return (gt + noise).clamp(0, 1), gt


def test_ssim_equals_torchmetrics_on_the_valid_region():
    from torchmetrics.functional.image import \
        structural_similarity_index_measure as tm_ssim
    pred, gt = noisy_pair((3, 2, 32, 40))
    ours = frame_ssim(pred, gt)
    whole, ssim_map = tm_ssim(pred, gt, gaussian_kernel=True, sigma=1.5,
                              kernel_size=11, data_range=1.0, k1=0.01,
                              k2=0.03, reduction='none',
                              return_full_image=True)
    # the same map where the 11x11 window lies inside the frame
    valid = ssim_map[..., 5:-5, 5:-5].mean(dim=(-3, -2, -1))
    torch.testing.assert_close(ours, valid, rtol=0, atol=1e-10)
    # torchmetrics averages the whole frame, with reflect-padded borders:
    # not the convention of stpredict (and scikit-image)
    assert (whole - ours).abs().max() > 1e-4


def test_psnr_equals_torchmetrics_except_for_identical_frames():
    from torchmetrics.functional.image import peak_signal_noise_ratio
    pred, gt = noisy_pair((4, 1, 16, 16), seed=1)
    ours = frame_psnr(pred, gt)
    theirs = peak_signal_noise_ratio(pred, gt, data_range=1.0,
                                     reduction='none', dim=(1, 2, 3))
    # torchmetrics converts the log base with a float32 constant
    torch.testing.assert_close(ours, theirs, rtol=1e-6, atol=0)
    same = peak_signal_noise_ratio(gt, gt, data_range=1.0, reduction='none',
                                   dim=(1, 2, 3))
    assert torch.isinf(same).all()
    assert torch.all(frame_psnr(gt, gt) == PSNR_MAX_DB)  # capped at 100 dB


def test_csi_per_lead_time_equals_torchmetrics_per_batch():
    from torchmetrics.functional.regression import critical_success_index
    from torchmetrics.regression import CriticalSuccessIndex
    threshold = 0.6
    metric = CriticalSuccessIndex(threshold, keep_sequence_dim=1)
    per_batch, totals = [], 0
    for seed in range(3):  # three batches [B, T, C, H, W]
        pred, gt = noisy_pair((2, 5, 1, 16, 16), seed=seed)
        metric.update(pred, gt)
        counts = contingency_counts(pred, gt, [threshold]).sum(0)[:, 0]
        per_batch.append(contingency_scores(counts, ['csi'])['csi'])
        totals = totals + counts
    # the same CSI of each batch and lead time ...
    torch.testing.assert_close(torch.cat(per_batch),
                               metric.compute().double(), rtol=1e-6, atol=0)
    # ... but torchmetrics keeps one score per batch, where stpredict sums
    # the counts of each lead time over the test set first; the functional
    # form on the whole test set at one lead time gives stpredict's number
    ours = contingency_scores(totals, ['csi'])['csi']
    preds = torch.cat([noisy_pair((2, 5, 1, 16, 16), seed=seed)[0]
                       for seed in range(3)])
    gts = torch.cat([noisy_pair((2, 5, 1, 16, 16), seed=seed)[1]
                     for seed in range(3)])
    lead_time_3 = critical_success_index(preds[:, 2], gts[:, 2], threshold)
    assert ours[2].item() == pytest.approx(lead_time_3.item(), rel=1e-6)


def test_scores_equal_pysteps_on_the_same_events():
    pytest.importorskip('pysteps')
    from pysteps.verification.detcatscores import (det_cat_fct_accum,
                                                   det_cat_fct_compute,
                                                   det_cat_fct_init)
    pred, gt = noisy_pair((3, 4, 1, 24, 24), seed=2)
    thresholds = [0.3, 0.7]
    counts = contingency_counts(pred, gt, thresholds).sum(0)  # [T, K, 4]
    ours = contingency_scores(counts)
    for t in range(pred.shape[1]):
        for k, threshold in enumerate(thresholds):
            # random floats never equal a threshold, so pysteps' ``>``
            # finds the events of stpredict's ``>=``
            table = det_cat_fct_init(threshold)
            for sequence in range(pred.shape[0]):
                det_cat_fct_accum(table, pred[sequence, t].numpy(),
                                  gt[sequence, t].numpy())
            theirs = det_cat_fct_compute(table, ['csi', 'pod', 'far', 'hss'])
            for score in ('csi', 'pod', 'far', 'hss'):
                np.testing.assert_allclose(
                    ours[score][t, k].item(), theirs[score.upper()],
                    rtol=1e-12, err_msg=f'{score} at {threshold}')


def test_empty_events_where_the_libraries_differ():
    # no event predicted nor observed: stpredict scores a perfect forecast
    # (CSI 1), torchmetrics 0
    from torchmetrics.functional.regression import critical_success_index
    zeros = torch.zeros(1, 1, 4, 4)
    assert critical_success_index(zeros, zeros, 0.5).item() == 0
    counts = contingency_counts(zeros, zeros, [0.5])
    assert contingency_scores(counts, ['csi'])['csi'].item() == 1
