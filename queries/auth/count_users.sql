-- Number of accounts; zero means a real install that has not created its admin yet.
-- params: none
select count(*)
from app_user
