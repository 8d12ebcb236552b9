from .frame_loss import FrameLoss

__all__ = ['FrameLoss']
