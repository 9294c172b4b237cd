"""Sphinx configuration of gysim's documentation site (``make docs``).

The API pages are written from the numpydoc docstrings; the notebooks in
``notebooks/`` (linked here as ``docs/notebooks``) and the pages written as
MyST notebooks (``guiyang.md``, ``gallery.md``) are executed by myst-nb at
every build, so every figure on the site comes from the code beside it.
Warnings are errors (``-W`` in the Makefile).
"""

import gysim

project = "gysim"
author = "the gysim developers"
copyright = "2026, the gysim developers"
release = gysim.__version__

extensions = [
    "myst_nb",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "**.ipynb_checkpoints", "Thumbs.db", ".DS_Store"]

# notebooks run at every build; a cell that raises fails it
nb_execution_mode = "force"
nb_execution_timeout = 900
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "colon_fence"]

autosummary_generate = True
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
intersphinx_mapping = {}

html_theme = "pydata_sphinx_theme"
html_title = "gysim"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_static_path = []
suppress_warnings = ["mystnb.unknown_mime_type", "myst.header"]
