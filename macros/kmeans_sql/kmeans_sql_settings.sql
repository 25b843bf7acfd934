{#- The settings of the kmeans_sql algorithm (segmentation.algorithm = kmeans_sql), read from the
    segmentation settings once and checked, for the models in models/ml/kmeans_sql/ (see
    docs/spark.md):

    - features: the segmentation.numeric_features that are columns of int_customer_features, in
      order, each {'index': 1.., 'name', 'transform': log1p | identity};
    - unknown_features: requested features that are not columns of the feature table (dropped,
      as the Python preprocessing does);
    - k: segmentation.k, or segmentation.kmeans_sql_k when it is null (kmeans_sql does not search
      k: a silhouette over all pairs of customers is quadratic, too costly in SQL);
    - iterations: segmentation.kmeans_sql_iterations, the Lloyd iterations unrolled into the SQL;
    - seed, max_correlation, clip_limit, iqr_per_standard_deviation: as in the Python model.

    segmentation.categorical_features must be empty: one-hot dimensions depend on the data, and the
    SQL is generated before the data is read. The models call this while dbt parses them, also
    when another algorithm is chosen (they are disabled then): the feature checks stop the build
    only when kmeans_sql is the algorithm. -#}
{% macro kmeans_sql_settings() %}
    {%- set segmentation = settings('segmentation') -%}
    {%- set is_chosen = segmentation.algorithm == 'kmeans_sql' -%}
    {%- set known = customer_numeric_features() -%}
    {%- set features = [] -%}
    {%- set unknown_features = [] -%}
    {%- for name in segmentation.numeric_features -%}
        {%- if name in known -%}
            {%- do features.append({'index': features | length + 1, 'name': name,
                                    'transform': 'log1p' if name in segmentation.log1p_features else 'identity'}) -%}
        {%- else -%}
            {%- do unknown_features.append(name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not features and is_chosen -%}
        {{ exceptions.raise_compiler_error(
            "segmentation.algorithm kmeans_sql needs at least one of segmentation.numeric_features among the columns of int_customer_features; got "
            ~ (segmentation.numeric_features | tojson)) }}
    {%- endif -%}
    {%- if segmentation.categorical_features and is_chosen -%}
        {{ exceptions.raise_compiler_error(
            "segmentation.algorithm kmeans_sql clusters numeric features only: set segmentation.categorical_features to [] (got "
            ~ (segmentation.categorical_features | tojson) ~ "), or use a Python algorithm (kmeans).") }}
    {%- endif -%}
    {%- set k = segmentation.k if segmentation.k is not none else segmentation.kmeans_sql_k -%}
    {%- if k > 50 -%}
        {{ exceptions.raise_compiler_error("kmeans_sql: k must be between 1 and 50 (one statement per pick, k x customers distances per iteration), got " ~ k) }}
    {%- endif -%}
    {{ return({
        'features': features,
        'unknown_features': unknown_features,
        'k': k,
        'iterations': segmentation.kmeans_sql_iterations,
        'seed': segmentation.seed,
        'max_correlation': segmentation.max_feature_correlation,
        'clip_limit': '5.0',
        'iqr_per_standard_deviation': '1.349',
        'min_segment_share': segmentation.min_segment_share,
        'radius_quantile': '0.99',
    }) }}
{% endmacro %}
