-- demo_place(road, road_no, q): the q-th flat of a grid (from 0): 360 flats to a 号 and 36 to
-- a 幢 (2 units × 6 floors × 3 flats), as building, unit, room and full address.
-- params: none
create or replace temp macro demo_place(road, road_no, q) as {
    'building': 1 + q % 360 // 36,
    'unit_no': 1 + q % 36 // 18,
    'room_no': (1 + q % 18 // 3) * 100 + 1 + q % 3,
    'address': '杭州市上城区' || road || (road_no + 2 * (q // 360)) || '号'
    || (1 + q % 360 // 36) || '幢' || (1 + q % 36 // 18) || '单元'
    || ((1 + q % 18 // 3) * 100 + 1 + q % 3) || '室'
}
