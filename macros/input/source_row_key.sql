{#- The key of a raw input row in staging: its fingerprint and its occurrence number among the rows
    with that fingerprint, as text (`<fingerprint>-<n>`). Derived from the values alone, so the
    same row gets the same key on every run. -#}
{% macro source_row_key(fingerprint_column='raw_fingerprint', occurrence_column='raw_occurrence') -%}
    cast({{ fingerprint_column }} as {{ dbt.type_string() }}) || '-' || cast({{ occurrence_column }} as {{ dbt.type_string() }})
{%- endmacro %}
