"""Install stpredict: ``pip install -e .`` (extras: ``.[tests]``,
``.[nowcasting]``, ``.[deploy]``)."""
import os.path as osp
import re

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_version() -> str:
    with open(osp.join(HERE, 'stpredict', 'version.py')) as file:
        match = re.search(r"__version__ = '([^']+)'", file.read())
    return match.group(1)


def read_requirements(name: str) -> list:
    path = osp.join(HERE, 'requirements', name)
    with open(path) as file:
        return [
            line.strip() for line in file
            if line.strip() and not line.startswith(('#', '-'))
        ]


setup(
    name='stpredict',
    version=read_version(),
    description='OpenMMLab-style toolkit for spatiotemporal predictive '
    'learning: recurrent cells, multi-scale necks, transfer learning',
    long_description=open(osp.join(HERE, 'README.md')).read(),
    long_description_content_type='text/markdown',
    keywords='video prediction, precipitation nowcasting, ConvLSTM, PredRNN',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'projects')),
    include_package_data=True,
    python_requires='>=3.8',
    license='Apache License 2.0',
    install_requires=read_requirements('runtime.txt'),
    extras_require=dict(
        tests=read_requirements('tests.txt'),
        optional=read_requirements('optional.txt'),
        # the optical-flow baseline of tools/test.py (pysteps)
        nowcasting=read_requirements('nowcasting.txt'),
        deploy=read_requirements('deploy.txt'),
    ),
    classifiers=[
        'Programming Language :: Python :: 3',
        'Topic :: Scientific/Engineering :: Artificial Intelligence',
    ],
    zip_safe=False,
)
