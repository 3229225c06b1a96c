"""API shapes for the marketplace: datasets and quotes, orders and refunds, licenses and packages, renewals. Rules live in services and selectors; these only parse and shape."""
