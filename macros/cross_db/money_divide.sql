{#- Money divided by a positive count (an average order value), rounded half up to the cent,
    with the same result on every engine. A plain decimal division does not give that: DuckDB
    divides decimals in double precision (33.4649999... can come out as 33.46 or 33.47 depending
    on how the double is cast), and Spark divides exactly to 6 decimals and rounds again (33.4649996
    becomes 33.465000, then 33.47). Here the numerator is taken in whole cents (exact) and
        floor((2 * cents + count) / (2 * count)) / 100
    is computed in double precision, which is exact for any realistic count: the true quotient is
    at least 1 / (2 * count) away from an integer where floor() could go wrong. For a numerator
    >= 0 (halves round towards +infinity below 0). -#}
{% macro money_divide(numerator, denominator) -%}
    cast(
        floor(
            cast(2 * cast({{ numerator }} * 100 as {{ dbt.type_bigint() }}) + {{ denominator }} as {{ type_double() }})
            / (2 * {{ denominator }})
        ) / 100
        as {{ type_money() }}
    )
{%- endmacro %}
