"""The watch over completed onboardings: each is re-verified on a schedule by the background job
runner (one server claims each due run), what matters in a run becomes an alert raised once and
cleared when a later run no longer finds it, and the Health page shows every watched integration."""
