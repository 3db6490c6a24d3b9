"""How far to trust a map: faithfulness (deletion / insertion), sanity (model-parameter
randomisation), LIME stability, intervals over images and timing. Numbers only; the report
formats and draws them."""
