"""Every bad input gets a clear error that names the offending value."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import argmin_kmeans as ak

X = torch.tensor(np.random.default_rng(0).normal(size=(20, 3)))
C = X[:4].clone()
ALL = [ak.assign, ak.kmeans_loss, ak.loss_gradient, ak.lloyd_step, ak.newton_step,
       lambda X, C: ak.gd_step(X, C, 0.1), lambda X, C: ak.fit(X, C, "lloyd")]


def with_value(t: torch.Tensor, idx, value: float) -> torch.Tensor:
    t = t.clone()
    t[idx] = value
    return t


@pytest.mark.parametrize("fn", ALL)
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_X(fn, bad) -> None:
    with pytest.raises(ValueError, match=rf"X contains 1 non-finite.*X\[3, 1\] = {bad}"):
        fn(with_value(X, (3, 1), bad), C)


@pytest.mark.parametrize("fn", ALL)
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
@pytest.mark.parametrize("n", [20, 5000])  # the small path and the general one
def test_non_finite_centers(fn, bad, n) -> None:
    # an infinite centre is no answer either: no sample would pick it, and it would stay inf
    Xn = X if n == len(X) else torch.tensor(np.random.default_rng(1).normal(size=(n, 3)))
    with pytest.raises(ValueError, match=rf"centers contains 1 non-finite.*centers\[2, 0\] = {bad}"):
        fn(Xn, with_value(C, (2, 0), bad))


@pytest.mark.parametrize("fn", ALL)
def test_not_2d(fn) -> None:
    with pytest.raises(ValueError, match=r"X must be 2-D.*1-D with shape \(20,\)"):
        fn(X[:, 0], C)
    with pytest.raises(ValueError, match=r"centers must be 2-D.*3-D with shape \(1, 4, 3\)"):
        fn(X, C[None])


@pytest.mark.parametrize("fn", ALL)
def test_empty_X_and_no_centres(fn) -> None:
    with pytest.raises(ValueError, match=r"X is empty: shape \(0, 3\)"):
        fn(X[:0], C)
    with pytest.raises(ValueError, match=r"centers is empty: shape \(0, 3\)"):
        fn(X, C[:0])


@pytest.mark.parametrize("fn", ALL)
def test_more_centres_than_points(fn) -> None:
    with pytest.raises(ValueError, match="n_clusters=4 is more than n_samples=3"):
        fn(X[:3], C)


@pytest.mark.parametrize("fn", ALL)
def test_feature_mismatch(fn) -> None:
    with pytest.raises(ValueError, match=r"X has n_features=3 but centers has n_features=2"):
        fn(X, C[:, :2])


@pytest.mark.parametrize("lr", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_lr(lr) -> None:
    with pytest.raises(ValueError, match=f"lr={lr!r}"):
        ak.gd_step(X, C, lr)
    with pytest.raises(ValueError, match=f"lr={lr!r}"):
        ak.fit(X, C, "gd", lr=lr)


def test_bad_per_centre_lr() -> None:
    with pytest.raises(ValueError, match=r"shape \(4,\).*got shape \(3,\)"):
        ak.gd_step(X, C, torch.ones(3))
    with pytest.raises(ValueError, match=r"lr\[2\]=-1.0"):
        ak.gd_step(X, C, torch.tensor([1.0, 1.0, -1.0, 1.0]))
    with pytest.raises(TypeError, match="got lr=True"):
        ak.gd_step(X, C, True)
    with pytest.raises(TypeError, match=r"got lr='0.1' \(str\)"):
        ak.gd_step(X, C, "0.1")


@pytest.mark.parametrize("fn", ALL)
def test_integer_dtypes_are_refused_with_a_recipe(fn) -> None:
    with pytest.raises(TypeError, match=r"X has dtype torch.int64.*X.float\(\)"):
        fn(X.long(), C)
    with pytest.raises(TypeError, match=r"centers has dtype int32.*astype\(np.float64\)"):
        fn(X.numpy(), C.numpy().astype(np.int32))
    with pytest.raises(TypeError, match=r"X has dtype torch.bool"):
        fn(X > 0, C)


@pytest.mark.parametrize("fn", ALL)
def test_mixed_float_dtypes(fn) -> None:
    with pytest.raises(TypeError, match="X has dtype torch.float32 but centers has dtype torch.float64"):
        fn(X.float(), C)


def test_not_an_array() -> None:
    with pytest.raises(TypeError, match="must be a torch.Tensor or numpy.ndarray, got list"):
        ak.assign(X.tolist(), C)


def test_meta_device_is_refused() -> None:
    with pytest.raises(ValueError, match="centers is on the 'meta' device"):
        ak.assign(X, C.to("meta"))
    with pytest.raises(ValueError, match="X is on the 'meta' device"):
        ak.kmeans_loss(X.to("meta"), C)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_different_devices() -> None:
    with pytest.raises(ValueError, match="X is on device cpu but centers is on device cuda:0"):
        ak.assign(X, C.cuda())


def test_bad_empty_policy_and_init() -> None:
    with pytest.raises(ValueError, match=r"empty must be one of \['keep', 'relocate'\], got empty='drop'"):
        ak.lloyd_step(X, C, empty="drop")
    with pytest.raises(ValueError, match=r"n_clusters must be an integer in \[1, 20\], got n_clusters=21"):
        ak.random_init(X, 21)


def test_argmax_bad_input() -> None:
    with pytest.raises(ValueError, match="delta=0"):
        ak.argmax_zero_gradient(delta=0)
    with pytest.raises(ValueError, match=r"shape \(1,\)"):
        ak.argmax_zero_gradient([1.0])
    with pytest.raises(ValueError, match="nan"):
        ak.argmax_zero_gradient([1.0, float("nan")])


def test_no_nan_centre_ever_from_a_valid_input() -> None:
    # every centre empty but one, tiny data, float32: still finite
    Xs = torch.zeros(5, 2)
    Cs = torch.tensor([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
    for step in (ak.lloyd_step, ak.newton_step, lambda a, b: ak.gd_step(a, b, 0.1)):
        out = step(Xs, Cs)
        assert bool(torch.isfinite(out).all())
        assert torch.equal(out[1:], Cs[1:])


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_is_refused_with_the_reason(dtype) -> None:
    with pytest.raises(TypeError, match=rf"X has dtype {dtype}.*overflow.*X.float\(\)"):
        ak.lloyd_step(X.to(dtype), C.to(dtype))
    with pytest.raises(TypeError, match=r"X has dtype float16.*astype\(np.float32\)"):
        ak.assign(X.numpy().astype(np.float16), C.numpy().astype(np.float16))


# --------------------------------------------------------------------------- unclear before


@pytest.mark.parametrize("fn", ALL)
def test_no_features(fn) -> None:
    with pytest.raises(ValueError, match=r"X has n_features=0 \(shape \(20, 0\)\): need at least"):
        fn(X[:, :0], C[:, :0])


def test_subnormal_data_get_labels_and_a_clear_error_for_the_loss() -> None:
    # float64 at 1e-309 and float32 at 1e-39 are subnormal: the kernel's power-of-two scale is
    # clamped to what the dtype represents (2**1022, 2**126) and the labels are those of the
    # unscaled problem; the inertia (1e-615, 1e-75) is not a number of the dtype
    Xb = torch.tensor(np.random.default_rng(2).normal(size=(5000, 2)))
    Cb = Xb[:4].clone()
    want = ak.assign(Xb, Cb)
    for dtype, tiny, loss in [(torch.float64, 1e-309, "e-6"), (torch.float32, 1e-39, "e-7")]:
        Xt, Ct = (Xb * tiny).to(dtype), (Cb * tiny).to(dtype)
        got = ak.assign(Xt, Ct)
        assert float((got == want).double().mean()) > 0.99  # subnormals keep fewer digits
        with pytest.raises(ValueError, match=rf"the inertia \(\d\.\d+{loss}\d+\) is outside the "
                                             rf"range of {dtype}"):
            ak.kmeans_loss(Xt, Ct)


def test_a_one_row_array_with_a_negative_stride_is_read() -> None:
    row = np.arange(6.0).reshape(2, 3)[::-2]  # one row, stride -48 bytes
    assert row.shape == (1, 3) and row.strides[0] < 0
    assert ak.assign(row, row.copy()).tolist() == [0]
    assert float(ak.kmeans_loss(row, np.array([[3.0, 4.0, 6.0]]))) == 1.0


def test_sparse_input_is_refused_with_a_recipe() -> None:
    with pytest.raises(TypeError, match=r"X is a sparse tensor \(layout torch.sparse_coo\).*"
                                        r"X.to_dense\(\)"):
        ak.assign(X.to_sparse(), C)
    with pytest.raises(TypeError, match=r"centers is a sparse tensor.*to_dense"):
        ak.lloyd_step(X, C.to_sparse())


def test_masked_arrays_are_refused_not_silently_unmasked() -> None:
    Xm = np.ma.masked_array(X.numpy(), mask=X.numpy() > 1.0)
    with pytest.raises(TypeError, match=r"X is a masked array \(numpy.ma\).*ignore its mask"):
        ak.assign(Xm, C.numpy())
    with pytest.raises(TypeError, match="sample_weight is a masked array"):
        ak.fit(X, C, "lloyd", sample_weight=np.ma.masked_array(np.ones(20), mask=[1] + [0] * 19))


def test_huge_and_complex_sample_weights_are_named() -> None:
    with pytest.raises(ValueError, match=r"sample_weight sums to inf.*1e\+308.*divide it by"):
        ak.fit(X, C, "lloyd", sample_weight=np.full(20, 1e308))
    w = np.ones(20)
    w[10] = 1e39  # finite in float64, beyond float32: the weighted loss of float32 data overflows
    with pytest.raises(ValueError, match=r"overflow torch.float32: sample_weight is as large as "
                                         r"1e\+39; divide sample_weight by its maximum"):
        ak.fit(X.float(), C.float(), "lloyd", sample_weight=w)
    with pytest.raises(TypeError, match="sample_weight has complex values"):
        ak.fit(X, C, "lloyd", sample_weight=np.ones(20) + 1j)
    with pytest.raises(TypeError, match="sample_weight has dtype torch.complex64"):
        ak.fit(X, C, "lloyd", sample_weight=torch.ones(20, dtype=torch.complex64))
