"""Bayesian calibration: the posterior of a model's parameters given data, sampled with emcee.

:func:`sample_posterior` takes the model, data in the format of
:func:`gysim.calibrate` and the parameters to sample, and returns a
:class:`Posterior`: the draws as ArviZ ``InferenceData`` (``post.idata``),
``post.summary()`` (r-hat, ESS), what the data identify
(``post.contraction()``, ``post.correlation()``, ``post.identification()``)
and ``post.predict()``, an ensemble of runs on posterior draws (with
observation noise if asked) for fan charts and :func:`gysim.check_targets`.
It needs the ``bayes`` extra (emcee, arviz).

The package, one idea per module:

- :mod:`gysim.posterior.priors`: priors by name, truncated to the bounds; the observation errors' priors;
- :mod:`gysim.posterior.runs`: the model run as an ensemble straight into arrays (the likelihood's runs);
- :mod:`gysim.posterior.likelihood`: the error models and the log posterior of a batch of points;
- :mod:`gysim.posterior.sampler`: :func:`sample_posterior` (emcee, ``vectorize=True``);
- :mod:`gysim.posterior.result`: :class:`Posterior`.
"""

from __future__ import annotations

from .result import Posterior
from .sampler import sample_posterior

__all__ = ["sample_posterior", "Posterior"]
