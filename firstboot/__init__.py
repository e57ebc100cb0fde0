"""firstboot"""
