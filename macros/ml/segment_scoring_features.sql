{#- The model dimensions the SQL scoring (int_customers_segmented) can hold, from the settings
    and the code, never from the stored model: the scoring SQL is then the same whatever model
    the warehouse holds, and `dbt compile` reads no model table.

    - numeric: one slot per segmentation.numeric_features that is a numeric column of the
      feature table (the others are left out of the model too, as "not a column of the feature
      table"), in that order, with its transform (log1p when listed in
      segmentation.log1p_features);
    - categorical: per segmentation.categorical_features that is a categorical column of the
      feature table, categories_per_feature slots for its one-hot dimensions: the fit keeps at
      most segmentation.max_categories_per_feature categories of a feature, the setting read
      here.

    Returns {numeric: [{name, slot, transform}], categorical: [{name, first_slot}],
    categories_per_feature, slots (the number of slots)}. -#}
{% macro segment_scoring_features() %}
    {%- set categories_per_feature = setting('segmentation', 'max_categories_per_feature') -%}
    {%- set log1p_features = setting('segmentation', 'log1p_features') -%}
    {%- set numeric = [] -%}
    {%- for name in drift_features() -%}
        {%- do numeric.append({'name': name, 'slot': loop.index, 'transform': 'log1p' if name in log1p_features else 'identity'}) -%}
    {%- endfor -%}
    {%- set categorical_columns = ['top_category', 'gender', 'age_band', 'country', 'acquisition_channel'] -%}
    {%- for attribute in customer_attributes() if attribute.is_categorical -%}
        {%- do categorical_columns.append(attribute.column) -%}
    {%- endfor -%}
    {%- set categorical = [] -%}
    {%- for name in setting('segmentation', 'categorical_features') if name in categorical_columns -%}
        {%- do categorical.append({'name': name, 'first_slot': (numeric | length) + (categorical | length) * categories_per_feature + 1}) -%}
    {%- endfor -%}
    {{ return({
        'numeric': numeric,
        'categorical': categorical,
        'categories_per_feature': categories_per_feature,
        'slots': (numeric | length) + (categorical | length) * categories_per_feature,
    }) }}
{% endmacro %}
