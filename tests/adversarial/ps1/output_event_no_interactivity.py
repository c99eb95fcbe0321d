# class: output-channel
# what: pre/post_run_cell events switch off the display of the last value for every check cell
# after: setup
# ruff: noqa
_ip = get_ipython()


def _quiet(info):
    if "check_" in (info.raw_cell or ""):
        _ip.ast_node_interactivity = "none"


def _loud(result):
    _ip.ast_node_interactivity = "last_expr"


_ip.events.register("pre_run_cell", _quiet)
_ip.events.register("post_run_cell", _loud)
