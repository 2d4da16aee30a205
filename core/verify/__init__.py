"""Checking ConvViz against torch: the cross-check run beside the app (`crosscheck`) and the
"Copy as PyTorch code" script that repeats it anywhere (`snippet`).

torch is imported lazily by both; the math at ``core``'s top never imports this package.
"""
