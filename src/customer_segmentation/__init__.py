"""Customer segmentation for an e-commerce shop (dbt on DuckDB plus Python clustering)."""
