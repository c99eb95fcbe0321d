# class: output-channel
# what: prints a lone surrogate (not encodable as UTF-8) from a cell and from inside a check, to stop the batch when its result is cached
# cell: chain_answer
# ruff: noqa
print("\ud800 a lone surrogate in a cell's output")


def dy_dx(x):
    print("\udfff inside a check")
    raise ValueError("\ud800 in an error message")
