# class: disk
# what: the pay-off of ps1/disk_ipython_startup: this blank ps3 notebook of the same student starts after the plant
# after: setup
# danger: disk
# ruff: noqa
pass  # nothing of my own: the IPython start-up file I planted while ps1 was graded does the work
