"""Fast layers over the course's Cython extension, which this folder never built."""

try:
    from cs231n.im2col_cython import col2im_6d_cython, im2col_cython
except ImportError:
    print("run the following from the cs231n directory and try again:")
    print("python setup.py build_ext --inplace")


def conv_forward_fast(x, w, b, conv_param):
    N, _, H, W = x.shape
    F, _, HH, WW = w.shape
    stride, pad = conv_param["stride"], conv_param["pad"]
    out_h = (H + 2 * pad - HH) // stride + 1
    out_w = (W + 2 * pad - WW) // stride + 1
    x_cols = im2col_cython(x, HH, WW, pad, stride)
    res = w.reshape(F, -1).dot(x_cols) + b.reshape(-1, 1)
    out = res.reshape(F, out_h, out_w, N).transpose(3, 0, 1, 2)
    return out, (x, w, b, conv_param, x_cols)


def conv_backward_fast(dout, cache):
    x, w, _, conv_param, x_cols = cache
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, out_h, out_w = dout.shape
    db = dout.sum(axis=(0, 2, 3))
    dout_rows = dout.transpose(1, 2, 3, 0).reshape(F, -1)
    dw = dout_rows.dot(x_cols.T).reshape(w.shape)
    dx_cols = w.reshape(F, -1).T.dot(dout_rows)  # rows (c, i, j), columns (y, x, n)
    dx_cols = dx_cols.reshape(C, HH, WW, out_h, out_w, N).transpose(0, 1, 2, 5, 3, 4)
    dx = col2im_6d_cython(dx_cols, N, C, H, W, HH, WW, conv_param["pad"], conv_param["stride"])
    return dx, dw, db
