{#- The validity of one grouping of the time hold-out's customers (the training window of
    `sample_relation`, int_segment_validation_sample): one row per metric with k (the number of
    groups), metric and value. The SQL twin of customer_segmentation.segmentation.validation.validity_metrics,
    for the models that judge groupings without Python (rfm_grid, kmeans_sql); a test checks
    that both give the same figures. Written with subqueries, not a nested WITH, so it can be the
    body of a CTE on every engine. -#}
{% macro segment_validity_figures(sample_relation, group_column) -%}
    {%- set metrics = ['churn_eta_squared', 'spend_eta_squared', 'churn_lift_worst_segment', 'churn_lift_best_segment', 'spend_lift_best_segment', 'spend_lift_worst_segment'] -%}
    {#- validation.MIN_VALIDATION_CUSTOMERS: fewer hold-out customers, no figures (k and values
        null, one row per metric all the same). -#}
    {%- set min_customers = 50 -%}
    select
        case when figures.customers >= {{ min_customers }} then figures.k end as k,
        metric_names.metric,
        case
            when figures.customers >= {{ min_customers }}
                then
                    case metric_names.metric
                        {%- for metric in metrics %}
                        when '{{ metric }}' then figures.{{ metric }}
                        {%- endfor %}
                    end
        end as value
    from (
        select
            count(*) as k,
            coalesce(sum(groups.customers), 0) as customers,
            {%- for outcome in ['churn', 'spend'] %}
            case
                when max(totals.{{ outcome }}_total) > 0
                    then least(greatest(round(
                        sum(groups.customers * (groups.{{ outcome }}_mean - totals.{{ outcome }}_mean)
                            * (groups.{{ outcome }}_mean - totals.{{ outcome }}_mean))
                        / max(totals.{{ outcome }}_total), 12), 0), 1)
            end as {{ outcome }}_eta_squared,
            {%- endfor %}
            case when max(totals.churn_mean) > 0 then round(max(groups.churn_mean) / max(totals.churn_mean), 12) end
                as churn_lift_worst_segment,
            case when max(totals.churn_mean) > 0 then round(min(groups.churn_mean) / max(totals.churn_mean), 12) end
                as churn_lift_best_segment,
            case when max(totals.spend_mean) > 0 then round(max(groups.spend_mean) / max(totals.spend_mean), 12) end
                as spend_lift_best_segment,
            case when max(totals.spend_mean) > 0 then round(min(groups.spend_mean) / max(totals.spend_mean), 12) end
                as spend_lift_worst_segment
        from (
            select
                {{ group_column }} as group_key,
                count(*) as customers,
                avg(case when is_churned then 1.0 else 0.0 end) as churn_mean,
                avg(cast(next_period_net_spend as {{ type_double() }})) as spend_mean
            from {{ sample_relation }}
            where cutoff_role = 'training'
            group by {{ group_column }}
        ) as groups
        cross join (
            select
                max(means.churn_mean) as churn_mean,
                max(means.spend_mean) as spend_mean,
                sum(
                    (case when hold_out.is_churned then 1.0 else 0.0 end - means.churn_mean)
                    * (case when hold_out.is_churned then 1.0 else 0.0 end - means.churn_mean)
                ) as churn_total,
                sum(
                    (cast(hold_out.next_period_net_spend as {{ type_double() }}) - means.spend_mean)
                    * (cast(hold_out.next_period_net_spend as {{ type_double() }}) - means.spend_mean)
                ) as spend_total
            from {{ sample_relation }} as hold_out
            cross join (
                select
                    avg(case when is_churned then 1.0 else 0.0 end) as churn_mean,
                    avg(cast(next_period_net_spend as {{ type_double() }})) as spend_mean
                from {{ sample_relation }}
                where cutoff_role = 'training'
            ) as means
            where hold_out.cutoff_role = 'training'
        ) as totals
    ) as figures
    cross join (
        {%- for metric in metrics %}
        select '{{ metric }}' as metric{% if not loop.last %} union all{% endif %}
        {%- endfor %}
    ) as metric_names
{%- endmacro %}
