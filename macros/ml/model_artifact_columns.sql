{#- The select list of one row of the long model artifact table (the columns and types of
    customer_segmentation.segmentation.model_store.ARTIFACT_SCHEMA, as the Python model writes them), for
    SQL models that write artifacts. Every argument is a SQL expression; columns not given are
    typed nulls, so the branches of a union line up on every engine. -#}
{% macro model_artifact_columns(
    record_type, model_id='model_identity.model_id', segment_id='null', feature='null', position='null',
    source_column='null', category_value='null', transform='null', fill_value='null', center='null',
    scale='null', clip_limit='null', k='null', metric='null', value='null', text_value='null') -%}
    cast({{ model_id }} as {{ dbt.type_string() }}) as model_id,
    cast('{{ record_type }}' as {{ dbt.type_string() }}) as record_type,
    cast({{ segment_id }} as {{ dbt.type_bigint() }}) as segment_id,
    cast({{ feature }} as {{ dbt.type_string() }}) as feature,
    cast({{ position }} as {{ dbt.type_bigint() }}) as position,
    cast({{ source_column }} as {{ dbt.type_string() }}) as source_column,
    cast({{ category_value }} as {{ dbt.type_string() }}) as category_value,
    cast({{ transform }} as {{ dbt.type_string() }}) as transform,
    cast({{ fill_value }} as {{ type_double() }}) as fill_value,
    cast({{ center }} as {{ type_double() }}) as center,
    cast({{ scale }} as {{ type_double() }}) as scale,
    cast({{ clip_limit }} as {{ type_double() }}) as clip_limit,
    cast({{ k }} as {{ dbt.type_bigint() }}) as k,
    cast({{ metric }} as {{ dbt.type_string() }}) as metric,
    cast({{ value }} as {{ type_double() }}) as value,
    cast({{ text_value }} as {{ dbt.type_string() }}) as text_value
{%- endmacro %}
