# class: disk
# what: the pay-off of ps1/disk_sitecustomize: this blank ps2 notebook of the same student runs in a kernel started after the plant
# after: setup
# danger: disk
# ruff: noqa
pass  # nothing of my own: the sitecustomize.py I planted while ps1 was graded does the work
