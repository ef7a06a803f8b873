{#- Models land in the schema their folder names (staging, intermediate, marts), not in
    "<target>_<folder>": the warehouse layout is part of the contract with readers. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
