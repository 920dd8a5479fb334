"""Operator scripts for the habit-tracker migration: run them through the Makefile."""
