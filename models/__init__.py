"""The Guiyang models: five sectors and their composition.

Each sector module (``population``, ``labor``, ``economy``, ``energy``,
``water``) defines ``build()``, which returns the sector as a runnable model
with exogenous stand-ins for what the other sectors would supply, and
``add_to(model, standalone=...)``, which adds the sector's elements to a model.
``guiyang.build()`` composes the five into one coupled model.

Installed (``pip install -e .``), this folder is the package ``gysim_models``
(``package_dir`` in setup.cfg: a top-level ``models`` would clash with other
distributions), and each model registers with gysim through the entry point
group ``gysim.models``, so ``gysim.load_model("guiyang")`` finds it. Each
registered module is the model's provider (``build`` and the optional hooks
of ``gysim.registry``). ``python -m gysim_models.demo`` is the job behind
``make demo``.
"""
