"""The posterior of a model's parameters: draws as ArviZ InferenceData, diagnostics, predictions.

:class:`Posterior` holds the draws of :func:`gysim.sample_posterior` (the
emcee walkers are ArviZ's chains), says what the data identify (the
contraction from prior to posterior, ``1 - var_post / var_prior``, and the
posterior correlations), and runs the model on posterior draws
(:meth:`Posterior.predict`), with the observation noise if asked, as one
ensemble ready for fan charts and :func:`gysim.check_targets`.

Examples
--------
See :func:`gysim.sample_posterior`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ..batch import as_params
from ..errors import ParameterError
from ..labels import split_element
from ..simulate import simulate

__all__ = ["Posterior", "IDENTIFIED", "CORRELATED"]

#: Contraction at and above which a parameter counts as identified by the data.
IDENTIFIED = 0.5
#: Absolute posterior correlation at and above which two parameters are named as entangled.
CORRELATED = 0.8


class Posterior:
    """Draws from the posterior of a model's parameters (made by :func:`gysim.sample_posterior`).

    Attributes
    ----------
    idata : arviz.InferenceData
        Groups ``posterior`` (each sampled parameter over ``(chain, draw)``,
        and ``sigma`` over ``(chain, draw, series)`` for the estimated
        observation errors), ``sample_stats`` (``lp``: the log posterior) and
        ``observed_data`` (the data, one variable per series over ``time``).
        A chain is an emcee walker.
    names : list of str
        The sampled parameters.
    model : gysim.Model
    error : str
        ``"lognormal"`` or ``"normal"``.
    sigma : dict
        Series -> fixed observation error; estimated ones are in the posterior.
    priors : list of gysim.posterior.priors.Prior
    acceptance : numpy.ndarray
        Acceptance fraction of each walker.
    autocorr : pandas.Series
        emcee's integrated autocorrelation time of each sampled coordinate, in
        steps (NaN where the chain is too short to estimate it).
    warnings : list of str
        Notes on the data (e.g. times outside the model's horizon, not used).
    settings : dict
        What :func:`gysim.hindcast` needs to sample again: data units,
        priors, walkers, draws, tune, seed, bounds, simulate options.
    """

    def __init__(self, *, idata: Any, names: list[str], model: Any, error: str,
                 fixed_sigma: dict[str, float], free_sigma: list[str], priors: list,
                 sigma_priors: list, frame: pd.DataFrame, acceptance: np.ndarray,
                 autocorr: pd.Series, options: dict[str, Any], settings: dict[str, Any],
                 notes: list[str] | None = None) -> None:
        self.idata, self.names, self.model, self.error = idata, names, model, error
        self.sigma, self.free_sigma = dict(fixed_sigma), list(free_sigma)
        self.priors, self.sigma_priors = priors, sigma_priors
        self.observed, self.acceptance, self.autocorr = frame, acceptance, autocorr
        self.options, self.settings = dict(options), dict(settings)
        self.warnings = list(notes or [])

    # --- the draws ------------------------------------------------------------------------
    @property
    def posterior(self) -> xr.Dataset:
        """The posterior draws: ``post.posterior["r"]`` is a DataArray over ``(chain, draw)``."""
        return self.idata.posterior

    @property
    def n_chains(self) -> int:
        return int(self.posterior.sizes["chain"])

    @property
    def n_draws(self) -> int:
        return int(self.posterior.sizes["draw"])

    def samples(self, n: int | None = None, seed=None) -> dict[str, np.ndarray]:
        """The sampled parameters' values, every draw or ``n`` drawn at random without replacement.

        The protocol :func:`gysim.optimize` and other consumers of uncertain
        parameters use (``uncertain=post``): parameter name -> 1-D array, one
        value per draw (observation errors left out: they are not parameters).

        Examples
        --------
        See :func:`gysim.sample_posterior`.
        """
        table = self.draws()[list(self.names)]
        if n is not None and n < len(table):
            keep = np.sort(np.random.default_rng(seed).choice(len(table), size=n, replace=False))
            table = table.iloc[keep]
        return {name: table[name].to_numpy(dtype=float) for name in self.names}

    def draws(self) -> pd.DataFrame:
        """Every draw as a row (chains one after the other): parameters, then ``sigma[<series>]``.

        Examples
        --------
        See :func:`gysim.sample_posterior`.
        """
        cols = {n: self.posterior[n].values.reshape(-1) for n in self.names}
        for s in self.free_sigma:
            cols[f"sigma[{s}]"] = self.posterior["sigma"].sel(series=s).values.reshape(-1)
        index = pd.MultiIndex.from_product([range(self.n_chains), range(self.n_draws)],
                                           names=["chain", "draw"])
        return pd.DataFrame(cols, index=index)

    # --- what the data identify ---------------------------------------------------------------
    def prior_variance(self) -> pd.Series:
        """Variance of each sampled quantity under its prior (``log sigma`` for the errors)."""
        values = {p.name: p.variance() for p in self.priors}
        values.update({f"sigma[{p.series}]": p.log_variance() for p in self.sigma_priors})
        return pd.Series(values, name="prior_variance")

    def contraction(self) -> pd.Series:
        """``1 - var_post / var_prior`` of each sampled quantity: 1 the data pin it, 0 they say nothing.

        For an estimated observation error the variances are those of ``log
        sigma``, the sampled coordinate (a log-normal prior's variance of
        ``sigma`` itself is dominated by its tail).

        Examples
        --------
        See :func:`gysim.sample_posterior`.
        """
        draws = self.draws()
        for s in self.free_sigma:
            draws[f"sigma[{s}]"] = np.log(draws[f"sigma[{s}]"])
        var_post = draws.var(ddof=1)
        out = 1.0 - var_post / self.prior_variance()[var_post.index]
        return out.rename("contraction")

    def correlation(self) -> pd.DataFrame:
        """Posterior correlations of the sampled quantities (pooled draws)."""
        return self.draws().corr()

    def identification(self) -> pd.DataFrame:
        """What the data identify: contraction, the most correlated partner, and a verdict.

        A quantity is ``"identified"`` when its contraction is at least
        :data:`IDENTIFIED` (the data remove half of the prior variance or more),
        else ``"mostly prior"``; a partner with absolute correlation at least
        :data:`CORRELATED` is named ("identified with X": the data pin a
        combination of the two better than each).
        """
        contraction = self.contraction()
        corr = self.correlation()
        rows = []
        for name in contraction.index:
            others = corr[name].drop(name).abs() if len(corr) > 1 else pd.Series(dtype=float)
            partner = str(others.idxmax()) if len(others) and np.isfinite(others.max()) else ""
            rho = float(corr.loc[name, partner]) if partner else float("nan")
            verdict = "identified" if contraction[name] >= IDENTIFIED else "mostly prior"
            if partner and abs(rho) >= CORRELATED:
                verdict += f", entangled with {partner}"
            rows.append({"quantity": name, "contraction": float(contraction[name]),
                         "most_correlated": partner, "correlation": rho, "verdict": verdict})
        return pd.DataFrame(rows).set_index("quantity")

    def summary(self, **kwargs: Any) -> pd.DataFrame:
        """ArviZ's summary (mean, sd, HDI, MCSE, ESS, r-hat) with the prior sd and the contraction.

        For the observation errors ``prior_sd`` and ``contraction`` are of
        ``log sigma`` (see :meth:`contraction`).

        ``kwargs`` go to :func:`arviz.summary`. Chains are emcee walkers, which
        are not independent: r-hat and ESS treat them as chains, the usual
        reading of emcee output (also compare :attr:`autocorr` with the
        number of draws).
        """
        az = _arviz()
        table = az.summary(self.idata, **kwargs)
        extra = pd.DataFrame({"prior_sd": np.sqrt(self.prior_variance()),   # of log sigma for the errors
                              "contraction": self.contraction()})
        return table.join(extra, how="left")

    # --- predictions -------------------------------------------------------------------------
    def predict(self, n: int | None = None, *, scenario: str | None = None,
                stop: float | None = None, seed: int | None = None, noise: bool = False,
                variables: list[str] | None = None) -> xr.Dataset:
        """Run the model on posterior draws: one ensemble whose runs are draws.

        Parameters
        ----------
        n : int, optional
            Number of runs. None: every draw of every chain, and the runs keep
            coordinates ``chain`` and ``draw`` forming the whole grid, so that
            :func:`gysim.check_targets` gives Monte Carlo errors that account
            for the correlation of MCMC draws. A number: that many draws taken
            at random from the pooled draws without replacement (with `seed`);
            check_targets then treats them as independent (binomial errors),
            right when `n` is small against the draws' effective sample size.
        scenario : str, optional
            A scenario of the model; the posterior draws override it for the
            sampled parameters.
        stop : float, optional
            End of the runs (default: the model's stop).
        seed : int, optional
            Seed of the choice of draws and of the noise.
        noise : bool
            Add observation noise, drawn with each run's sigma, to the observed
            series (``y = f * exp(sigma * e)`` for lognormal errors, ``f + sigma *
            e`` for normal; ``e`` standard normal): a posterior predictive of
            the data. The other variables stay as simulated.
        variables : list of str, optional
            Variables to return (default: all; the observed ones are added
            when `noise` is on).

        Returns
        -------
        xarray.Dataset
            Dims ``(time, run)``; coordinates ``chain`` and ``draw`` over
            ``run`` give each run's draw. ``attrs["posterior_predictive"]``
            says whether noise was added.

        Raises
        ------
        ParameterError
            For `n` not a positive integer or more than the number of draws.
        """
        total = self.n_chains * self.n_draws
        rng = np.random.default_rng(seed)
        if n is None:
            chains, draws = np.divmod(np.arange(total), self.n_draws)
        else:
            if not (isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 1):
                raise ParameterError(f"`n` must be a positive integer or None, got {n!r}")
            if n > total:
                raise ParameterError(f"`n` = {n} is more than the {total} posterior draws "
                                     f"({self.n_chains} chains x {self.n_draws}); sample longer or ask fewer")
            pick = np.sort(rng.choice(total, size=n, replace=False))
            chains, draws = np.divmod(pick, self.n_draws)
        values = {name: self.posterior[name].values[chains, draws] for name in self.names}
        options = {k: v for k, v in self.options.items() if k != "stop"}
        if stop is not None:
            options["stop"] = stop
        wanted = None
        if variables is not None:
            wanted = list(dict.fromkeys(list(variables) + (
                [split_element(c)[0] for c in self.observed.columns] if noise else [])))
        ds = simulate(self.model, params=as_params(self.model, values), scenario=scenario,
                      variables=wanted, **options)
        ds = ds.assign_coords(chain=("run", chains), draw=("run", draws))
        if noise:
            ds = self._add_noise(ds, chains, draws, rng)
        ds.attrs["posterior_predictive"] = ("with observation noise" if noise
                                            else "model runs (no observation noise)")
        return ds

    def sigma_draws(self, chains: np.ndarray, draws: np.ndarray) -> dict[str, np.ndarray]:
        """Each series' sigma for the given draws (fixed ones repeated)."""
        out = {}
        for c in self.observed.columns:
            if c in self.sigma:
                out[c] = np.full(len(chains), self.sigma[c])
            else:
                out[c] = self.posterior["sigma"].sel(series=c).values[chains, draws]
        return out

    def _add_noise(self, ds: xr.Dataset, chains, draws, rng) -> xr.Dataset:
        ds = ds.copy(deep=True)
        for c, sig in self.sigma_draws(chains, draws).items():
            base, labels = split_element(c)
            da = ds[base]
            if labels:
                dims = [d for d in da.dims if d not in ("time", "run")]
                sel = dict(zip(dims, labels))
                part = da.sel(sel)
            else:
                sel, part = None, da
            e = rng.standard_normal(part.shape)
            run_axis = part.dims.index("run")
            shape = [1] * part.ndim
            shape[run_axis] = -1
            s = sig.reshape(shape)
            noisy = part.values * np.exp(s * e) if self.error == "lognormal" else part.values + s * e
            if sel is None:
                ds[base] = (da.dims, noisy, da.attrs)
            else:
                da.loc[sel] = noisy
        return ds

    def __repr__(self) -> str:
        return (f"<gysim Posterior of {', '.join(self.names)} ({self.error} errors): "
                f"{self.n_chains} walkers x {self.n_draws} draws>")


def _arviz():
    """arviz, imported quietly (its import announces a refactor with a FutureWarning)."""
    import warnings

    from ..errors import GysimError
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        try:
            import arviz
        except ImportError:  # pragma: no cover - the bayes extra installs it
            raise GysimError("the posterior needs arviz: pip install gysim[bayes]") from None
    return arviz
