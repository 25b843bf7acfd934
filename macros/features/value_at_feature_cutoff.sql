{#- Picks, on a row of a one-pass aggregate crossed with int_feature_cutoffs, the column of that
    row's cutoff: <role>__<column> (one per role of feature_cutoff_roles) for cutoff_role. -#}
{% macro value_at_feature_cutoff(column, relation, cutoffs='cutoffs') -%}
    case {{ cutoffs }}.cutoff_role
        {%- for cutoff in feature_cutoff_roles() %}
        when '{{ cutoff.role }}' then {{ relation }}.{{ cutoff.role }}__{{ column }}
        {%- endfor %}
    end
{%- endmacro %}
