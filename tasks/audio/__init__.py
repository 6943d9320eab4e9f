"""Pure audio functions for the workers: decode, validate, QC, align, denoise.

No Django here: every function takes paths or arrays and returns plain values,
so the code is easy to test and to benchmark (see bench/).
"""
