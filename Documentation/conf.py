# SPDX-License-Identifier: GPL-2.0
# Sphinx configuration for the nsaudit documentation (`make check` builds it with -W).

project = "nsaudit"
copyright = "The nsaudit authors"
master_doc = "index"
exclude_patterns = ["_build"]
html_theme = "alabaster"
