{#- The settings of the kmeans_sql algorithm (var segmentation_algorithm = kmeans_sql), read from the
    vars once and checked, for the models in models/ml/kmeans_sql/ (see docs/spark.md):

    - features: the clustering_numeric_features that are columns of int_customer_features, in
      order, each {'index': 1.., 'name', 'transform': log1p | identity};
    - unknown_features: requested features that are not columns of the feature table (dropped,
      as the Python preprocessing does);
    - k: var segmentation_k, or var kmeans_sql_k when it is null (kmeans_sql does not search k:
      a silhouette over all pairs of customers is quadratic, too costly in SQL);
    - iterations: var kmeans_sql_iterations, the Lloyd iterations unrolled into the SQL;
    - seed, max_correlation, clip_limit, iqr_per_standard_deviation: as in the Python model.

    clustering_categorical_features must be empty: one-hot dimensions depend on the data, and the
    SQL is generated before the data is read. The models call this while dbt parses them, also
    when another algorithm is chosen (they are disabled then): the feature checks stop the build
    only when kmeans_sql is the algorithm. -#}
{% macro kmeans_sql_settings() %}
    {%- set is_chosen = var('segmentation_algorithm') == 'kmeans_sql' -%}
    {%- set known = customer_numeric_features() -%}
    {%- set log1p_features = var('clustering_log1p_features') or [] -%}
    {%- set features = [] -%}
    {%- set unknown_features = [] -%}
    {%- for name in var('clustering_numeric_features') or [] -%}
        {%- if name in known -%}
            {%- do features.append({'index': features | length + 1, 'name': name,
                                    'transform': 'log1p' if name in log1p_features else 'identity'}) -%}
        {%- else -%}
            {%- do unknown_features.append(name | string) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not features and is_chosen -%}
        {{ exceptions.raise_compiler_error(
            "segmentation_algorithm kmeans_sql needs at least one of clustering_numeric_features among the columns of int_customer_features; got "
            ~ (var('clustering_numeric_features') | tojson)) }}
    {%- endif -%}
    {%- if var('clustering_categorical_features') and is_chosen -%}
        {{ exceptions.raise_compiler_error(
            "segmentation_algorithm kmeans_sql clusters numeric features only: set clustering_categorical_features to [] (got "
            ~ (var('clustering_categorical_features') | tojson) ~ "), or use a Python algorithm (kmeans).") }}
    {%- endif -%}
    {%- set k = var('segmentation_k') if var('segmentation_k') is not none else var('kmeans_sql_k', 5) -%}
    {%- set iterations = var('kmeans_sql_iterations', 25) -%}
    {%- for name, value in [('segmentation_k / kmeans_sql_k', k), ('kmeans_sql_iterations', iterations), ('segmentation_seed', var('segmentation_seed'))] -%}
        {%- if value is boolean or not modules.re.fullmatch('[0-9]+', value | string) -%}
            {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a whole number, got " ~ (value | string | tojson)) }}
        {%- endif -%}
    {%- endfor -%}
    {%- if (k | int) < 1 or (k | int) > 50 -%}
        {{ exceptions.raise_compiler_error("kmeans_sql: k must be between 1 and 50 (one statement per pick, k x customers distances per iteration), got " ~ k) }}
    {%- endif -%}
    {%- if (iterations | int) < 1 or (iterations | int) > 200 -%}
        {{ exceptions.raise_compiler_error("var kmeans_sql_iterations must be between 1 and 200, got " ~ iterations) }}
    {%- endif -%}
    {%- set max_correlation = validated_number_var('segmentation_max_feature_correlation') -%}
    {{ return({
        'features': features,
        'unknown_features': unknown_features,
        'k': k | int,
        'iterations': iterations | int,
        'seed': var('segmentation_seed') | int,
        'max_correlation': max_correlation,
        'clip_limit': '5.0',
        'iqr_per_standard_deviation': '1.349',
        'min_segment_share': validated_number_var('segmentation_min_segment_share'),
        'radius_quantile': '0.99',
    }) }}
{% endmacro %}
