{#- Pre-hook of kmeans_sql_scaling: which requested features are dropped for a correlation, into
    the scratch table <model>__correlation_drops (feature_index, partner_index, pearson_r).

    As customer_segmentation.segmentation.preprocessing.drop_correlated_features does it: in feature order, a
    screened-in feature is kept unless an earlier kept feature correlates with it above var
    segmentation_max_feature_correlation (|r|, r rounded to 6 decimals); the partner is the
    earlier kept feature with the largest |r| (ties: the earlier one). No correlation screening
    with fewer than 3 customers, as in Python. Screening is applied in SQL: a screened-out
    feature has r = 0 with every other, so it blocks nothing.

    The greedy rule is sequential, over a handful of features: it runs here in Jinja, at run
    time, on the pairs above the threshold read from kmeans_sql_feature_correlations. Written as
    SQL, a chain of one step per feature, Spark spends minutes planning it. Renders no SQL of
    its own. -#}
{% macro kmeans_sql_pick_uncorrelated_features() %}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set settings = kmeans_sql_settings() -%}
    {%- set conflicts = [] -%}
    {%- set conflict_rows = run_query(
        "select first_index, second_index, pearson_r from " ~ ref('kmeans_sql_feature_correlations')
        ~ " where correlated_customers >= 3 and abs(pearson_r) > " ~ settings.max_correlation
        ~ " order by second_index, first_index") -%}
    {%- for row in conflict_rows.rows -%}
        {%- do conflicts.append({'first': row[0] | int, 'second': row[1] | int, 'r': row[2] | float}) -%}
    {%- endfor -%}
    {%- set selection = namespace(kept=[], dropped=[]) -%}
    {%- for feature in settings.features -%}
        {%- set partner = namespace(index=none, r=0) -%}
        {%- for conflict in conflicts if conflict.second == feature.index and conflict.first in selection.kept -%}
            {%- if partner.index is none or (conflict.r | abs) > (partner.r | abs) -%}
                {%- set partner.index = conflict.first -%}
                {%- set partner.r = conflict.r -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if partner.index is none -%}
            {%- set selection.kept = selection.kept + [feature.index] -%}
        {%- else -%}
            {%- do selection.dropped.append(
                "select " ~ feature.index ~ " as feature_index, " ~ partner.index ~ " as partner_index, "
                ~ partner.r ~ " as pearson_r") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set drops_sql -%}
        select
            cast(feature_index as {{ dbt.type_int() }}) as feature_index,
            cast(partner_index as {{ dbt.type_int() }}) as partner_index,
            cast(pearson_r as {{ type_double() }}) as pearson_r
        from (
            select
                cast(null as {{ dbt.type_int() }}) as feature_index,
                cast(null as {{ dbt.type_int() }}) as partner_index,
                cast(null as {{ type_double() }}) as pearson_r
            {%- for dropped in selection.dropped %}
            union all
            {{ dropped }}
            {%- endfor %}
        ) as drops
        where feature_index is not null
    {%- endset -%}
    {%- do kmeans_sql_replace_table(kmeans_sql_scratch_relation('correlation_drops'), drops_sql) -%}
    {{ return('') }}
{% endmacro %}
