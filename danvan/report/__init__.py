"""Report stage: report blocks, sentence templates, charts, and the ward, trend and city reports the
notebooks display."""
