{{
    config(
        materialized='incremental',
        unique_key='order_id',
        incremental_strategy='merge',
        on_schema_change='fail'
    )
}}

/*
    One row per order across its lifecycle: created -> paid -> fulfilled, or
    cancelled (before or after payment). The pivot of the order's events into one
    row (timestamps of each step, final status) is in int_order_lifecycle.

    Revenue is recognised at payment: an order is revenue (is_revenue, net_revenue =
    total_amount) once paid, stays revenue when fulfilled, and stops being revenue if
    it is cancelled. Reports date it by order_created_at.

    Incremental: a run takes only the orders int_order_lifecycle recomputed since the
    previous one (their last_loaded_at is later than any here) and merges them on
    order_id. An hourly run then copies an hour of orders, not every order each time.
*/

with

orders as (

    select * from {{ ref('int_order_lifecycle') }}
    {% if is_incremental() %}
        where last_loaded_at > (select max(previous.last_loaded_at) from {{ this }} as previous)
    {% endif %}

),

final as (

    select
        order_id,
        customer_id,
        session_id,
        channel,
        device,
        order_created_at,
        paid_at,
        fulfilled_at,
        cancelled_at,
        order_status,
        last_event_at as status_changed_at,
        payment_method,
        cancel_reason,
        carrier,
        currency,
        item_count,
        subtotal,
        tax,
        shipping,
        total_amount,
        is_revenue,
        net_revenue,
        last_loaded_at
    from orders

)

select * from final
