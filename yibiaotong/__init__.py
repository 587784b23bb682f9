"""一表通: one ledger of people, households, houses and shops; every report generated from it."""

__version__ = "0.1.0"
