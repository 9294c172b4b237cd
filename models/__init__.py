"""The Guiyang models: five sectors and their composition.

Each sector module (``population``, ``labor``, ``economy``, ``energy``,
``water``) defines ``build()``, which returns the sector as a runnable model
with exogenous stand-ins for what the other sectors would supply, and
``add_to(model, standalone=...)``, which adds the sector's elements to a model.
``guiyang.build()`` composes the five into one coupled model. ``gysim``
imports this folder as the package ``gysim_models`` (see ``gysim.load_model``).
"""
