# class: output-channel
# what: an input transformer adds a last line `pass` to every cell's source before it runs
# after: setup
# ruff: noqa
get_ipython().input_transformers_post.append(lambda lines: [*lines, "\n", "pass\n"])
