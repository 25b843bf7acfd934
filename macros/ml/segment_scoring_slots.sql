{#- The stored model's dimensions (a relation or CTE with the columns of
    ml.segment_model_scaling) with the scoring slot each one takes (macro
    segment_scoring_features), as a select statement: a numeric dimension takes its feature's
    slot when its transform is the one the settings give it; the one-hot dimensions of a
    categorical feature take its slots in position order. slot is null for a dimension the
    scoring SQL would not score (the test assert_sql_scoring_covers_every_model_dimension
    stops the build before the scoring runs). -#}
{% macro segment_scoring_slots(scaling) %}
    {%- set scoring = segment_scoring_features() -%}
    select
        ranked.*,
        case
            -- A first branch that never matches keeps the case valid without features.
            when false then cast(null as {{ dbt.type_int() }})
            {%- for feature in scoring.numeric %}
            when ranked.transform = '{{ feature.transform }}' and ranked.source_column = '{{ feature.name }}' then {{ feature.slot }}
            {%- endfor %}
            {%- for feature in scoring.categorical %}
            when ranked.transform = 'one_hot' and ranked.source_column = '{{ feature.name }}'
                and ranked.category_rank <= {{ scoring.categories_per_feature }}
                then {{ feature.first_slot - 1 }} + ranked.category_rank
            {%- endfor %}
        end as slot
    from (
        select
            dimensions.*,
            row_number() over (
                partition by dimensions.source_column, dimensions.transform order by dimensions.position
            ) as category_rank
        from {{ scaling }} as dimensions
    ) as ranked
{% endmacro %}
