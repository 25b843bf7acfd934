{#- A DuckDB memory size ('8GB', '1500 MB', '2GiB') in bytes, or none when the text is not one
    (a percentage, a unit DuckDB adds later): callers then leave the limit alone. DuckDB counts
    KB, MB, GB and TB in powers of 1000 and KiB, MiB, GiB and TiB in powers of 1024. -#}
{% macro memory_size_bytes(text) %}
    {%- set units = {
        'B': 1, 'BYTES': 1,
        'KB': 1000, 'MB': 1000 ** 2, 'GB': 1000 ** 3, 'TB': 1000 ** 4,
        'KIB': 1024, 'MIB': 1024 ** 2, 'GIB': 1024 ** 3, 'TIB': 1024 ** 4,
    } -%}
    {%- set match = modules.re.match('^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]+)\s*$', text | string) -%}
    {%- if match is none or match.group(2) | upper not in units -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(match.group(1) | float * units[match.group(2) | upper]) }}
{% endmacro %}
