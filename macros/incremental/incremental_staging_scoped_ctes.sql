{#- The CTEs that pick the input rows a run stages, ending in `scoped` (each with a trailing
    comma), for a model that reads its input once: filed_cte is the input with source_date and
    raw_fingerprint per row (macros incremental_staging_scope_ctes and
    incremental_staging_scoped_rows say which rows, and what version_column does). -#}
{% macro incremental_staging_scoped_ctes(filed_cte, rules_version, version_column=none) %}
{{ incremental_staging_scope_ctes(filed_cte, rules_version, version_column=version_column) }}
scoped as (
    {{ incremental_staging_scoped_rows(filed_cte, version_column=version_column) }}
),
{% endmacro %}
