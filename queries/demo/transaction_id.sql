-- Id of the current transaction: two statements share it only inside an explicit transaction.
-- params: none
select current_transaction_id()
