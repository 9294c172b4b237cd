"""The Chinese names of the Guiyang models' elements (``long_name_zh`` of their results).

One table for the coupled model and the five sector models run alone
(``_common.finish`` applies it to each with ``Model.set_names_zh(NAMES,
strict=False)``). Where the plan (《贵阳市国民经济和社会发展第十一个五年规划纲要》)
names an indicator, the name is its wording; the sentence it comes from is
noted beside the entry (the plan says 全市生产总值, not the statistical term
地区生产总值, and 城镇化水平 for the urbanisation rate). The other names follow
the usage of the statistical yearbooks (户籍人口, 全要素生产率, 价格指数...).

``DISPLAY_SCALES`` names the variables the plan states in a scale their
units do not say: the natural growth rate in per mille ("人口自然增长率控制在6‰以内").
"""

from __future__ import annotations

#: Element name -> Chinese name.
NAMES: dict[str, str] = {
    # --- the plan switch (_common)
    "plan_implementation": "规划措施落实程度",
    "plan_start": "规划措施起始时间",
    "is_primary": "第一产业标识",
    "is_secondary": "第二产业标识",
    "is_tertiary": "第三产业标识",
    # --- population
    "registered_population_2000": "2000年末户籍总人口",
    "urbanization_rate_2000": "2000年末城镇化水平",
    "birth_rate": "人口出生率",
    "birth_rate_plan": "人口出生率（规划值）",
    "birth_rate_in_effect": "人口出生率（实行值）",
    "death_rate": "人口死亡率",
    "net_migration_rate": "户籍净迁入率",
    "reference_gdp_growth": "基准经济增长率（迁入率参照）",
    "migration_growth_elasticity": "净迁入对经济增长的弹性",
    "urban_population": "城镇人口",
    "rural_population": "农村人口",  # 引导产业和农村人口向城镇聚集和转移
    "births_urban": "城镇出生人口",
    "births_rural": "农村出生人口",
    "deaths_urban": "城镇死亡人口",
    "deaths_rural": "农村死亡人口",
    "migration_attraction": "经济增长对迁入的吸引系数",
    "net_in_migration": "户籍净迁入人口",
    "persons_per_settling_worker": "每名进城定居劳动力带动人口",
    "rural_urban_migration": "农村人口向城镇转移",
    "population": "总人口",  # 到2010年，总人口控制在380万左右
    "urbanization_rate": "城镇化水平",  # 城镇化水平提高到68%左右
    "natural_growth_rate": "人口自然增长率",  # 人口自然增长率控制在6‰以内
    "urban_natural_increase": "城镇人口自然增长",
    "rural_natural_increase": "农村人口自然增长",
    "population_net_inflow": "总人口净增加",
    "urbanization_migration_rate": "农村人口进城率",
    "urbanization_migration_rate_plan": "农村人口进城率（规划值）",
    "urbanization_migration_rate_in_effect": "农村人口进城率（实行值）",
    # --- labour
    "labor_participation_rate": "劳动参与率",
    "rural_nonfarm_share_2000": "2000年末农村非农产业劳动力比重",
    "farm_surplus_share_2000": "2000年农业富余劳动力比重",
    "farm_productivity_growth": "农业劳动生产率增长率",
    "transfer_rate": "富余劳动力年转移率",
    "transfer_rate_plan": "富余劳动力年转移率（规划值）",
    "transfer_rate_in_effect": "富余劳动力年转移率（实行值）",
    "settlement_rate": "农村非农劳动力进城定居率",
    "settlement_rate_plan": "农村非农劳动力进城定居率（规划值）",
    "settlement_rate_in_effect": "农村非农劳动力进城定居率（实行值）",
    "urban_employment_2000": "2000年末城镇就业人数",
    "unemployment_rate_2000": "2000年末城镇登记失业率",
    "employment_elasticity": "就业弹性",
    "employment_elasticity_plan": "就业弹性（规划值）",
    "employment_elasticity_in_effect": "就业弹性（实行值）",
    "hiring_time": "就业需求调整时间",
    "separation_rate": "城镇岗位流失率",
    "job_search_time": "登记失业人员最短再就业时间",
    "register_exit_rate": "退出失业登记率",
    "farm_labor": "农业劳动力",
    "rural_nonfarm_labor": "农村非农产业劳动力",
    "urban_employed": "城镇就业人数",
    "urban_unemployed": "城镇登记失业人数",
    "rural_labor_transferred": "转移农村富余劳动力（2006年起累计）",  # 转移农村富余劳动力10万人以上
    "urban_jobs_created": "累计增加城镇就业（2006年起）",  # 累计增加城镇就业20万人以上
    "farm_labor_required": "农业生产所需劳动力",
    "surplus_farm_labor": "农村富余劳动力",
    "desired_urban_employment": "城镇就业需求",
    "employment_demand_growth": "城镇就业需求增长",
    "rural_labor_entry": "农村新增劳动力",
    "labor_transfer": "农村富余劳动力转移",
    "labor_settlement": "农村非农劳动力进城定居",
    "urban_labor_entry": "城镇新增劳动力",
    "separations": "城镇岗位流失",
    "hires": "登记失业人员再就业",
    "register_exit": "退出失业登记",
    "transfer_accounting": "计入“十一五”的劳动力转移",
    "job_creation_accounting": "计入“十一五”的城镇新增就业",
    "rural_labor_force": "农村劳动力总数",
    # 到2010年，从事非农产业劳动力人数占农村劳动力总数的40%
    "rural_nonfarm_share": "从事非农产业劳动力占农村劳动力总数比重",
    "urban_labor_force": "城镇登记劳动力",
    "registered_unemployment_rate": "城镇登记失业率",  # 城镇登记失业率控制在4.5%以内
    "nonfarm_labor": "非农产业劳动力",
    "nonfarm_labor_growth": "非农产业劳动力增长率",
    # --- economy
    "gdp_2000": "2000年全市生产总值",
    "va_primary_2000": "2000年第一产业增加值",
    "services_share_2000": "2000年服务业占非农增加值比重",
    "capital_output_ratio_2000": "2000年末资本产出比",
    "capital_share": "资本产出弹性",
    "depreciation_rate": "资本折旧率",
    "investment_efficiency": "投资形成生产性资本比例",
    "fixed_asset_investment_2000": "2000年全社会固定资产投资",
    "tfp_growth": "全要素生产率增长率",
    "inflation_rate": "价格总水平上涨率",
    "primary_growth": "第一产业增加值实际增长率",
    "investment_rate_trend": "投资率变化趋势",
    "investment_rate_trend_plan": "投资率变化趋势（规划值）",
    "investment_rate_trend_in_effect": "投资率变化趋势（实行值）",
    "investment_rate_max": "投资率上限",
    "industry_share_of_secondary": "工业占第二产业增加值比重",
    "exchange_rate": "人民币对美元汇率",
    "capital": "分产业生产性资本存量（2000年价）",
    "tfp": "全要素生产率",
    "price_level": "生产总值价格指数（2000年=1）",
    "investment_rate": "投资率（固定资产投资占生产总值比重）",
    "va_primary_real": "第一产业增加值（2000年价）",
    "services_share": "服务业占非农增加值比重",
    "fixed_asset_investment_cumulative": "全社会固定资产投资（2006年起累计）",  # 累计比“十五”翻一番以上
    "va_nonprimary_real": "第二、三产业增加值（2000年价）",
    "gdp_real": "全市生产总值（2000年价）",
    "gdp": "全市生产总值",  # 2010年全市生产总值突破1000亿元
    "fixed_asset_investment": "全社会固定资产投资",  # 全社会固定资产投资年均增长16%左右
    "capital_formation": "资本形成",
    "depreciation": "资本折旧",
    "tfp_increase": "全要素生产率提高",
    "price_increase": "价格上涨",
    "investment_rate_change": "投资率变化",
    "primary_output_growth": "第一产业增加值增长",
    "investment_accounting": "计入“十一五”的固定资产投资",
    "value_added_real": "分产业增加值（2000年价）",
    "value_added": "分产业增加值",
    "va_primary": "第一产业增加值",  # 第一产业增加值年均增长5.5%
    "va_secondary": "第二产业增加值",
    "va_tertiary": "第三产业（服务业）增加值",  # 服务业增加值年均增长13%左右
    "va_secondary_real": "第二产业增加值（2000年价）",
    "va_tertiary_real": "第三产业增加值（2000年价）",
    "secondary_share": "第二产业占生产总值比重",  # 三次产业结构调整为4.4：51.7：43.9
    "va_industry": "工业增加值",  # 到2010年工业增加值达到550亿元左右
    "va_industry_real": "工业增加值（2000年价）",
    "capital_growth": "资本存量增长率",
    "va_nonprimary_growth_rate": "第二、三产业增加值增长率",
    "gdp_real_growth_rate": "生产总值瞬时增长率",
    "one_year": "一年",
    "gdp_real_growth": "生产总值实际增长率",  # 生产总值年均增长13%以上
    "gdp_per_capita": "人均生产总值",  # 人均生产总值突破3000美元
    "gdp_per_capita_real": "人均生产总值（2000年价）",
    "gdp_per_capita_usd": "人均生产总值（美元）",
    # --- energy
    "energy_intensity_2000": "2000年万元生产总值综合能耗",
    "secondary_intensity_ratio": "第二产业相对能耗强度",
    "efficiency_gain_rate": "能效自主提高率",
    "energy_saving_investment_share": "节能投资占固定资产投资比重",
    "energy_saving_investment_share_plan": "节能投资占固定资产投资比重（规划值）",
    "energy_saving_investment_share_in_effect": "节能投资占固定资产投资比重（实行值）",
    "energy_saving_cost": "单位节能量投资",
    "relative_energy_intensity": "分产业相对能耗强度",
    "energy_intensity_tech": "分产业技术能耗强度",
    "energy_use_by_sector": "分产业能源消费量",
    "energy_use": "能源消费总量",
    # 万元生产总值综合能耗比“十五”期末下降20%
    "energy_intensity": "万元生产总值综合能耗",
    "energy_saving_investment": "节能投资",
    "efficiency_gain": "能耗强度下降",
    # --- water
    "industrial_water_coefficient_2000": "2000年万元工业增加值用水量",
    "water_efficiency_rate": "工业用水效率年提高率",
    "water_efficiency_rate_plan": "工业用水效率年提高率（规划值）",
    "water_efficiency_rate_in_effect": "工业用水效率年提高率（实行值）",
    "urban_water_per_capita": "城镇人均生活用水量",
    "rural_water_per_capita": "农村人均生活用水量",
    "agricultural_water_2000": "2000年农业用水量",
    "irrigation_efficiency_rate": "农业用水效率年提高率",
    "sewage_return_factor": "生活污水排放系数",
    "sewage_capacity_2000": "2000年末污水处理能力",
    "sewage_capacity_utilization": "污水处理能力利用率",
    "sewage_capacity_construction": "年新增污水处理能力",
    "sewage_capacity_construction_plan": "年新增污水处理能力（规划值）",
    "sewage_capacity_construction_in_effect": "年新增污水处理能力（实行值）",
    "industrial_water_coefficient": "万元工业增加值用水量（2000年价）",
    "water_efficiency_gain": "工业用水系数下降",
    "sewage_capacity": "城市污水处理能力",
    "sewage_capacity_added": "新增污水处理能力",
    "industrial_water_use": "工业用水量",
    # 万元工业增加值用水量降至40立方米/万元
    "industrial_water_intensity": "万元工业增加值用水量",
    "urban_domestic_water_use": "城镇生活用水量",
    "rural_domestic_water_use": "农村生活用水量",
    "agricultural_water_use": "农业用水量",
    "water_use": "用水总量",
    "sewage_generation": "城市生活污水排放量",
    "sewage_treated": "城市生活污水集中处理量",
    "sewage_treatment_rate": "城市生活污水集中处理率",  # 城市生活污水集中处理率提高到70%以上
    # --- stand-ins of the sector models run alone
    "urban_population_2000_standin": "替代值：2000年末城镇人口",
    "rural_population_2000_standin": "替代值：2000年末农村人口",
    "urban_population_growth_standin": "替代值：城镇人口增长率",
    "rural_population_growth_standin": "替代值：农村人口增长率",
    "va_primary_real_2000_standin": "替代值：2000年第一产业增加值",
    "primary_growth_standin": "替代值：第一产业增加值实际增长率",
    "natural_growth_rate_standin": "替代值：人口自然增长率",
    "net_migration_rate_standin": "替代值：户籍净迁入率",
    "nonprimary_growth_standin": "替代值：第二、三产业增加值实际增长率",
    "nonfarm_labor_2000_standin": "替代值：2000年末非农产业劳动力",
    "nonfarm_labor_growth_standin": "替代值：非农产业劳动力增长率",
    "population_growth_standin": "替代值：户籍人口增长率",
    "registered_population_2000_standin": "替代值：2000年末户籍总人口",
    "gdp_real_growth_standin": "替代值：生产总值实际增长率",
    "sector_share_standin": "替代值：分产业占生产总值比重",
    "fai_growth_standin": "替代值：固定资产投资增长率",
    "gdp_2000_standin": "替代值：2000年全市生产总值",
    "fixed_asset_investment_2000_standin": "替代值：2000年全社会固定资产投资",
    "va_industry_2000_standin": "替代值：2000年工业增加值",
    "industry_growth_standin": "替代值：工业增加值实际增长率",
    "inflation_standin": "替代值：价格总水平上涨率",
    # --- economy: structural change and investment allocation
    "capital_split_2000": "2000年非农资本存量中第三产业份额",
    "productive_capital": "生产性资本存量合计（2000年价）",
    "productive_investment": "生产性投资（扣除节能投资）",
    "investment_allocation": "新增资本分产业配置",
    "investment_demand_share": "投资需求中第二产业产品份额",
    "investment_secondary_content": "固定资产投资中第二产业产品含量",
    "investment_return_elasticity": "新增资本配置对相对收益的弹性",
    "services_income_slope": "服务业需求份额对人均收入对数的斜率",
    "services_spending_share": "服务业支出份额（随收入上升）",
    "services_demand_share": "非农产出需求中服务业份额",
    "services_relative_return": "服务业资本相对收益",
    "tertiary_investment_share": "新增非农资本投向第三产业的份额",
    "secondary_investment_priority": "第二产业投资优先系数",
    "secondary_investment_priority_plan": "第二产业投资优先系数（规划值，工业强市）",
    "secondary_investment_priority_in_effect": "第二产业投资优先系数（实行值）",
    # --- energy: energy-saving capital
    "energy_saving_capital": "节能资本存量",
    "energy_saving_capital_formation": "节能资本形成",
    "energy_saving_capital_depreciation": "节能资本折旧",
    "energy_saving_depreciation_rate": "节能资本折旧率",
    "energy_saving_capital_scale": "节能资本饱和规模系数",
    "energy_saving_fraction": "节能比例",
    "energy_use_potential": "未采取节能措施时的能源消费量",
    "energy_saving_investment_share_standin": "节能投资占固定资产投资比重（替代值）",
    "capital_output_ratio_standin": "资本产出比（替代值）",
    "inflation_rate_standin": "价格上涨率（替代值）",
}

#: Variables shown in a named scale of ``gysim.display.SCALES`` (see the module docs).
DISPLAY_SCALES: dict[str, str] = {"natural_growth_rate": "per_mille"}
