"""Core stage: Vietnamese formatting and amounts in words, settings, errors, files and templating.
Imports no other danvan stage."""
