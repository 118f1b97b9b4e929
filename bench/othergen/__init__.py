"""othergen: an independent generator of tracegraph exchange files and their ground truth.

Written from EXCHANGE.md and knowledge of the trade only, so tracegraph's quality can be measured
on data whose assumptions are not its own. ``generate.py`` is the entry point.
"""
