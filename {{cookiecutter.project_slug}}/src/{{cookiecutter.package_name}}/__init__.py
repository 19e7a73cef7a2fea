"""E-commerce analytics pipeline: event generator, lake sink, warehouse load and KPIs."""
