"""What touches the disk or a foreign format: session files, atomic writes, the .npy export,
tensor/image/checkpoint/module import, presets, autosave paths, and the guarded reads of
files nobody vouches for (`untrusted`).

The math at ``core``'s top never imports this package (tests/test_layering.py checks), and
importing it loads nothing: each module is imported where it is used.
"""
