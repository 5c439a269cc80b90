"""torch's error messages that more than one ember module raises, each written once.

Each function returns the exception (the type torch raises, its message word for word); the caller
raises it, so the traceback points at the check: ``raise _errors.invalid_learning_rate(lr)``. A message
that only one module raises stays beside its check. This module imports nothing from ember, so any
module, ``tensor.py`` included, can import it at the top.
"""
from __future__ import annotations


# ---- tensors and dimensions --------------------------------------------------------------
def dim_out_of_range(dim, n: int) -> IndexError:
    """``dim`` outside [-n, n-1] for a tensor of ``n`` dimensions (a 0-d tensor counts as 1)."""
    return IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")


def requires_grad_needs_float() -> RuntimeError:
    return RuntimeError("Only Tensors of floating point and complex dtype can require gradients")


def index_out_of_range() -> IndexError:
    """An index past the indexed dimension (embedding, index_select, take)."""
    return IndexError("index out of range in self")


def new_invalid_dtype(name: str) -> TypeError:
    """A legacy constructor (``Tensor.new``, ``ember.FloatTensor``) given a dtype it does not know."""
    return TypeError(f"new(): invalid data type '{name}'")


def not_implemented_for(op: str, dtype_name: str) -> NotImplementedError:
    """A kernel that has no variant for this dtype (torch names the kernel and the dtype)."""
    return NotImplementedError(f'"{op}" not implemented for \'{dtype_name}\'')


def scalar_type_mismatch(expected, found) -> RuntimeError:
    """Two inputs that must share a dtype (a convolution's weight, grid_sample's grid)."""
    return RuntimeError(f"expected scalar type {expected} but found {found}")


def size_mismatch(a, b, dim) -> RuntimeError:
    """Sizes that do not broadcast at ``dim``."""
    return RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b ({b}) at non-singleton "
                        f"dimension {dim}")


def expand_size_mismatch(target, existing, dim, target_sizes, tensor_sizes) -> RuntimeError:
    """``expand`` (or a broadcast that expands) to a size that a non-1 dimension does not have."""
    return RuntimeError(f"The expanded size of the tensor ({target}) must match the existing size ({existing}) at "
                        f"non-singleton dimension {dim}.  Target sizes: {target_sizes}.  Tensor sizes: {tensor_sizes}")


def src_size_mismatch(src_size, slice_size) -> RuntimeError:
    """A scatter of ``src`` into a slice of another size (diagonal/select/slice scatter, masked scatter)."""
    return RuntimeError(f"expected src to have a size equal to the slice of self. src size = {src_size}, "
                        f"slice size = {slice_size}")


def bmm_batch2_size(b, k, b2, k2) -> RuntimeError:
    return RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{b}, {k}] but got: "
                        f"[{b2}, {k2}].")


def expected_dims(low, high, got) -> ValueError:
    """A layer given an input of the wrong number of dimensions (unbatched or batched)."""
    return ValueError(f"expected {low}D or {high}D input (got {got}D input)")


def stack_sizes_differ(first, other, i: int) -> RuntimeError:
    """``stack`` (and the collate that stacks a batch) given tensors of different shapes."""
    return RuntimeError(f"stack expects each tensor to be equal size, but got {list(first)} at entry 0 and "
                        f"{list(other)} at entry {i}")


def clamp_needs_a_bound() -> RuntimeError:
    return RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")


def integer_division_by_zero() -> RuntimeError:
    """An integer tensor divided (``//``, ``%``) by an integer zero."""
    return RuntimeError("ZeroDivisionError")


def vector_norm_needs_float(dtype_name: str) -> RuntimeError:
    return RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got {dtype_name}")


# ---- random sampling -----------------------------------------------------------------------
def normal_negative_std(std) -> RuntimeError:
    return RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")


def random_from_to(from_, to) -> RuntimeError:
    """``random_``/``randint`` with an empty range."""
    return RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={from_} >= to={to}")


def multinomial_too_many_samples() -> RuntimeError:
    """More samples than categories, drawn without replacement."""
    return RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")


def multinomial_bad_probabilities() -> RuntimeError:
    return RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")


def multinomial_zero_sum() -> RuntimeError:
    return RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")


def probs_xor_logits() -> ValueError:
    """A distribution given both or neither of ``probs`` and ``logits``."""
    return ValueError("Either `probs` or `logits` must be specified, but not both.")


# ---- layers ----------------------------------------------------------------------------------
def dropout_probability(p) -> ValueError:
    return ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def margin_p() -> ValueError:
    """``multi_margin_loss``'s ``p`` is 1 or 2."""
    return ValueError("only p == 1 and p == 2 supported")


def prelu_parameter_count(n, channels) -> RuntimeError:
    return RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = {n} and "
                        f"channel size = {channels}.")


def conv_output_too_small(input_size, output_size) -> RuntimeError:
    """Sizes given joined by ``" x "``, as torch prints them."""
    return RuntimeError(f"Given input size per channel: ({input_size}). Calculated output size per channel: "
                        f"({output_size}). Output size is too small")


def pool_output_too_small(input_size, output_size) -> RuntimeError:
    return RuntimeError(f"Given input size: ({input_size}). Calculated output size: ({output_size}). "
                        "Output size is too small")


def pool_dims(dim, op) -> RuntimeError:
    """A 1-d pooling op given an input that is not 2-d or 3-d."""
    return RuntimeError(f"Expected 2 to 3 dimensions, but got {dim}-dimensional tensor for argument #1 'self' "
                        f"(while checking arguments for {op})")


def padding_string(padding) -> RuntimeError:
    return RuntimeError(f"Invalid padding string: '{padding}'")


def same_padding_strided() -> RuntimeError:
    return RuntimeError("padding='same' is not supported for strided convolutions")


def negative_output_padding() -> RuntimeError:
    return RuntimeError("negative output_padding is not supported")


def kernel_larger_than_input(padded, kernel) -> RuntimeError:
    """A convolution whose (dilated) kernel does not fit the padded input, per spatial dimension."""
    return RuntimeError(
        f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel size: "
        f"({' x '.join(map(str, kernel))}). Kernel size can't be greater than actual input size")


def conv_kernel_size(kernel) -> RuntimeError | None:
    """The error of a convolution whose weight has a zero-size spatial dim (torch's slow kernels' check; a 1-d
    kernel is read as height 1), or None when every size is positive."""
    if all(k > 0 for k in kernel):
        return None
    if len(kernel) == 3:
        return RuntimeError(f"kernel size should be greater than zero, but got: {' x '.join(map(str, kernel))} (TxHxW)")
    kh, kw = (1, *kernel) if len(kernel) == 1 else kernel
    return RuntimeError(f"kernel size should be greater than zero, but got kernel_height: {kh} kernel_width: {kw}")


def pool_stride_zero() -> RuntimeError:
    return RuntimeError("stride should not be zero")


def pool_divisor_zero() -> RuntimeError:
    """``avg_pool``'s ``divisor_override=0``."""
    return RuntimeError("divisor must be not zero")


def pool_pad_too_large(pad, kernel_size, dilation) -> RuntimeError:
    return RuntimeError(f"pad should be at most half of effective kernel size, but got pad={pad}, "
                        f"kernel_size={kernel_size} and dilation={dilation}")


# ---- optimizers and schedulers ---------------------------------------------------------------
def invalid_learning_rate(lr) -> ValueError:
    return ValueError(f"Invalid learning rate: {lr}")


def invalid_value(name: str, value) -> ValueError:
    """torch.optim's check of a hyperparameter: ``invalid_value("weight_decay", -1.0)``."""
    return ValueError(f"Invalid {name} value: {value}")


def anneal_strategy(value) -> ValueError:
    return ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {value}")


# ---- data ------------------------------------------------------------------------------------
def must_implement(obj, method: str) -> NotImplementedError:
    """An abstract method of a base class (Dataset, Sampler) that a subclass did not define."""
    return NotImplementedError(f"{type(obj).__name__} must implement {method}")


# ---- metrics ---------------------------------------------------------------------------------
def expected_string(name: str, value) -> ValueError:
    return ValueError(f"Expected input `{name}` to be a string, but got {type(value)}")


def average_not_allowed(allowed, average) -> ValueError:
    return ValueError(f"Expected argument `average` to be one of {allowed}, but got {average}")


def count_not_int(name: str, value_type) -> ValueError:
    """``num_classes``/``num_labels`` given as something other than an int."""
    return ValueError(f"`{name}` is expected to be `int` but `{value_type} was passed.`")


def preds_not_float(dtype) -> ValueError:
    return ValueError(f"Expected argument `preds` to be floating tensor with probabilities/logits but got tensor "
                      f"with dtype {dtype}")


def shapes_differ(preds_shape, target_shape) -> RuntimeError:
    return RuntimeError(f"Predictions and targets are expected to have the same shape, but got {preds_shape} and "
                        f"{target_shape}.")


def num_labels_mismatch(got, num_labels) -> ValueError:
    return ValueError(f"Expected both `target.shape[1]` and `preds.shape[1]` to be equal to the number of labels but "
                      f"got {got} and expected {num_labels}")


def multioutput(choices) -> ValueError:
    return ValueError(f"Invalid input to argument `multioutput`. Choose one of the following: {choices}")


def max_fpr(value) -> ValueError:
    return ValueError(f"Arguments `max_fpr` should be a float in range (0, 1], but got: {value}")


# ---- messages that the #17/#19 merges stated twice --------------------------------------------
def int_overflow(type_name: str) -> RuntimeError:
    """A number that does not fit the integer dtype it is converted to (``type_name`` as the caller's torch path
    names it: ``uint8`` when building a tensor, c10's ``uint8_t`` for an op's scalar)."""
    return RuntimeError(f"value cannot be converted to type {type_name} without overflow")


def conv_input_dims(nd: int, opname: str, size_text: str) -> RuntimeError:
    """A convolution (or Lazy convolution) input that is neither (C, *spatial) nor (N, C, *spatial)."""
    return RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {opname}, but got input "
                        f"of size: {size_text}")


def pool_input_dims(fn: str, nd: int, shape) -> RuntimeError:
    return RuntimeError(f"{fn}(): Expected {nd + 1}D or {nd + 2}D tensor, but got: {list(shape)}")


def invalid_reduction(reduction) -> ValueError:
    return ValueError(f"{reduction} is not a valid value for reduction")


def multi_target() -> RuntimeError:
    return RuntimeError("0D or 1D target tensor expected, multi-target not supported")


def long_target_expected(type_name: str) -> RuntimeError:
    return RuntimeError(f"expected scalar type Long but found {type_name}")


def empty_margin_input(shape) -> RuntimeError:
    return RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: {list(shape)}")


def in_channels_groups() -> ValueError:
    return ValueError("in_channels must be divisible by groups")


def n_power_iterations(n) -> ValueError:
    return ValueError(f"Expected n_power_iterations to be positive, but got n_power_iterations={n}")
