"""``ember.backends.cuda``: torch's CUDA matmul flags (settable, no effect); CUDA is not built into ember."""


class _MatmulFlags:
    """``torch.backends.cuda.matmul``: attributes a program may set before choosing its device."""

    def __init__(self):
        self.allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True


matmul = _MatmulFlags()


def is_built() -> bool:
    return False


def _flag(default: bool):
    state = {"enabled": default}

    def get() -> bool:
        return state["enabled"]

    def set(enabled: bool) -> None:
        state["enabled"] = bool(enabled)

    return get, set


flash_sdp_enabled, enable_flash_sdp = _flag(True)
mem_efficient_sdp_enabled, enable_mem_efficient_sdp = _flag(True)
math_sdp_enabled, enable_math_sdp = _flag(True)
