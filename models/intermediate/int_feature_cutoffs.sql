{#- The dates features are computed at. Grain: one row per cutoff_date.
    - the current cutoff: as_of_date (what the segments and scores describe);
    - the training cutoff: as_of_date - prediction.horizon_days, so that models predicting the
      next horizon (churn, value) learn from features that were known back then and labels that
      happened after, never from the future;
    - the evaluation cutoff: two horizons back, so the churn and value models can be trained one
      window earlier and scored on the training window as a time hold-out.
    The roles are fixed at compile time (macro feature_cutoff_roles). -#}
with

run_date as (

    select as_of_date from {{ ref('int_as_of_date') }}

),

cutoffs as (

    {%- for cutoff in feature_cutoff_roles() %}
        {%- if not loop.first %}

            union all
        {% endif %}

        select
            {%- if cutoff.horizons_before == 0 %}
                as_of_date as cutoff_date,
            {%- else %}
                cast(
                    {{ dbt.dateadd('day', -cutoff.horizons_before * setting('prediction', 'horizon_days'), 'as_of_date') }}
                    as date
                ) as cutoff_date,
            {%- endif %}
            '{{ cutoff.role }}' as cutoff_role
        from run_date
    {%- endfor %}

)

select * from cutoffs
