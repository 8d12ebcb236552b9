from .base_transfer import BaseTransfer, LayerContext, TeacherRun
from .finetune import Finetune
from .knowledge_flow import KnowledgeFlow
from .l2sp import L2SP
from .memory_transfer import MemoryTransfer
from .source_models import (FrameAdapter, LockstepTeachers, SourceModel,
                            build_sources, find_checkpoint)

__all__ = [
    'BaseTransfer', 'LayerContext', 'TeacherRun', 'Finetune', 'L2SP',
    'KnowledgeFlow',
    'MemoryTransfer', 'FrameAdapter', 'LockstepTeachers', 'SourceModel',
    'build_sources', 'find_checkpoint'
]
