"""Calibration to a contact log with outcomes, and the backtest on a period it has not seen.

`outcomes` reads a log into a period (arrivals and agent presence, all a prediction may use) and
its observed outcomes; `fit` estimates handle times and patience; `staffing` turns presence into
agent windows and shifts; `search` simulates a period and finds the availability; `backtest`
compares a prediction with what happened; `scenario` writes the calibrated scenario; `cli`
registers `coverage-sim calibrate` and `coverage-sim backtest` (docs/calibration.md).
"""
