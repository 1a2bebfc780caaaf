"""Virtual drug screening on the CMap "large" tensor (paper Section 3, Appendices C-I).

Modules: :mod:`data` (loader, ``.npz`` layout, Appendix C filtering), :mod:`synthetic`
(calibrated CMap-like generator), :mod:`mean`, :mod:`dnpp`, :mod:`falrtc` (baselines),
:mod:`ntk` (NTK with feature priors, Appendices D-F), :mod:`methods` (method registry),
:mod:`protocol` (seeds, per-cell 10-fold CV, regimes), :mod:`metrics` (Appendix H),
:mod:`stats` (corrected repeated k-fold t-test, Appendix I), :mod:`report`, :mod:`plot`.
"""
