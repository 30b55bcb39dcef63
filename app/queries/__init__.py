"""Queries and writes service code calls: plain functions taking a SQLAlchemy Session first."""
